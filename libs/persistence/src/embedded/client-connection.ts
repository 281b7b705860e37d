import { once } from 'node:events';
import { type Socket } from 'node:net';
import { ByteQueue } from './byte-queue';
import { ClientReleasedError, type SessionScheduler } from './session-scheduler';
import {
  CANCEL_REQUEST_CODE,
  FLUSH,
  GSSENC_REQUEST_CODE,
  MAX_STARTUP_LENGTH,
  PROTOCOL_MAJOR_3,
  QUERY,
  SSL_REQUEST_CODE,
  SYNC,
  TERMINATE,
  fatalError,
} from './wire-protocol';

/** Received but unprocessed bytes above which the socket stops reading while a batch runs. */
const INBOX_HIGH_WATER = 1024 * 1024;

/**
 * One client's socket. Splits the byte stream into protocol messages and hands them to the
 * scheduler in batches that end where the client waits for an answer (Sync, Query, Flush), so
 * the messages of one extended query always run together on the shared session.
 */
export class ClientConnection {
  private readonly inbox = new ByteQueue();
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private started = false;
  private draining = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly scheduler: SessionScheduler,
    private readonly maxMessageBytes: number,
    private readonly onClosed: (connection: ClientConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.closed) return;
      this.inbox.push(chunk);
      if (this.draining && this.inbox.length > INBOX_HIGH_WATER) socket.pause();
      void this.drain();
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /** Closes the socket (after a last message, if given) and gives up any claim on the session. */
  close(farewell?: Buffer): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.clear();
    this.batch = [];
    if (farewell !== undefined && this.socket.writable) {
      this.socket.end(farewell, () => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
    this.scheduler.release(this);
    this.onClosed(this);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.closed && (await this.step()));
    } catch (err) {
      if (!(err instanceof ClientReleasedError)) {
        this.close(fatalError('XX000', `embedded database failure: ${(err as Error).message}`));
      }
    } finally {
      this.draining = false;
    }
    // Every complete message is handled: read on, even past the high water mark, to complete the next.
    if (!this.closed) this.socket.resume();
  }

  /** Handles the next complete message; false when more bytes are needed (or the connection ended). */
  private async step(): Promise<boolean> {
    if (!this.started) return this.startupStep();
    if (this.inbox.length < 5) return false;
    const header = this.inbox.peek(5);
    const type = header[0] as number;
    const length = header.readInt32BE(1); // counts itself, not the type byte
    if (length < 4) return this.refuse('08P01', `invalid message length ${length}`);
    if (length > this.maxMessageBytes || this.batchBytes + length > this.maxMessageBytes) {
      return this.refuse(
        '08P01',
        `message too long: the embedded database accepts ${this.maxMessageBytes} bytes`,
      );
    }
    if (this.inbox.length < length + 1) return false;
    const message = this.inbox.take(length + 1);

    // Terminate: unsynced work is abandoned, as PostgreSQL does; releasing rolls it back.
    if (type === TERMINATE) {
      this.close();
      return false;
    }
    this.batch.push(message);
    this.batchBytes += message.length;
    if (type === SYNC || type === QUERY) await this.runBatch(true);
    // Flush: the client waits for output mid-sequence, and keeps the session until its Sync.
    else if (type === FLUSH) await this.runBatch(false);
    return true;
  }

  /** Before startup, messages carry no type byte: Int32 length, Int32 request code. */
  private async startupStep(): Promise<boolean> {
    if (this.inbox.length < 8) return false;
    const header = this.inbox.peek(8);
    const length = header.readInt32BE(0);
    const code = header.readInt32BE(4);
    if (length < 8 || length > MAX_STARTUP_LENGTH)
      return this.refuse('08P01', 'invalid length of startup packet');
    if (this.inbox.length < length) return false;
    const packet = this.inbox.take(length);

    if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
      this.socket.write('N'); // loopback only: no encryption, the client goes on in plain text
      return true;
    }
    // PGlite runs each batch to completion, so there is never anything to cancel.
    if (code === CANCEL_REQUEST_CODE) {
      this.close();
      return false;
    }
    if (code >>> 16 !== PROTOCOL_MAJOR_3) return this.refuse('0A000', 'unsupported frontend protocol');
    this.started = true;
    this.batch.push(packet);
    await this.runBatch(true);
    return true;
  }

  private async runBatch(endsUnitOfWork: boolean): Promise<void> {
    const messages = this.batch.length === 1 ? (this.batch[0] as Buffer) : Buffer.concat(this.batch);
    this.batch = [];
    this.batchBytes = 0;
    await this.scheduler.run(this, messages, endsUnitOfWork, (output) => {
      // PGlite hands out a view of its own memory, reused by the next call: copy it.
      if (!this.closed) this.socket.write(Buffer.from(output));
    });
    // A client that does not read its results gets no more batches run until it catches up.
    if (this.socket.writableNeedDrain && !this.closed) {
      await Promise.race([once(this.socket, 'drain'), once(this.socket, 'close')]);
    }
  }

  private refuse(sqlState: string, message: string): false {
    this.close(fatalError(sqlState, message));
    return false;
  }
}
