import {
  type DataSource,
  type EntityManager,
  type EntitySubscriberInterface,
  type TransactionCommitEvent,
  type TransactionRollbackEvent,
} from 'typeorm';

type Action = () => Promise<void>;

const ACTIONS = 'ztp.afterCommit';

/**
 * Runs `action` once the transaction of `manager` has committed (never if it rolls back). For work that must not happen inside the
 * transaction: enqueueing jobs, or signing through key custody, both of which use other database
 * connections (doing them inside it would hold its locks and a pooled connection meanwhile, and
 * act on data that may still roll back). Actions run in the background; the caller plans for one
 * being lost with the process (a sweep picks its work up later).
 * Needs `installAfterCommit(dataSource)` once per data source.
 */
export function afterCommit(manager: EntityManager, action: Action): void {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive)
    throw new Error('afterCommit() is for work after a transaction; none is open');
  const actions = (runner.data[ACTIONS] ??= []) as Action[];
  actions.push(action);
}

type ErrorReporter = (err: unknown) => void;

class AfterCommitSubscriber implements EntitySubscriberInterface {
  constructor(readonly onError: ErrorReporter) {}

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // Also broadcast when a savepoint is released; only the outermost commit counts.
    if (event.queryRunner.isTransactionActive) return;
    const actions = event.queryRunner.data[ACTIONS] as Action[] | undefined;
    delete event.queryRunner.data[ACTIONS];
    for (const action of actions ?? []) void run(action, this.onError);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete event.queryRunner.data[ACTIONS];
  }
}

async function run(action: Action, onError: ErrorReporter): Promise<void> {
  try {
    await action();
  } catch (err) {
    onError(err);
  }
}

/** Lets afterCommit() work on this data source (idempotent). `onError` hears of failed actions. */
export function installAfterCommit(dataSource: DataSource, onError: ErrorReporter): void {
  const existing = dataSource.subscribers.find(
    (s): s is AfterCommitSubscriber => s instanceof AfterCommitSubscriber,
  );
  if (!existing) dataSource.subscribers.push(new AfterCommitSubscriber(onError));
}
