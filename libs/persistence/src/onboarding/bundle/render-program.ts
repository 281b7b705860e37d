import { type EntityManager, In } from 'typeorm';
import { type BundleStepSummary } from '../config-bundle.entity';
import { ConfigFileEntity } from '../config-file.entity';
import { type ConfigPlanContent } from '../config-plan-content';
import {
  commandMessages,
  csrActivate,
  downloadHeader,
  Fsim,
  uploadMessages,
  wgetMessages,
} from './fsim-messages';
import { type OwnerProgram, type ProgramStep } from './owner-program';

/** A plan that cannot become a bundle (it names a file the owner does not have). */
export class BundleRenderError extends Error {
  override readonly name = 'BundleRenderError';
}

export interface RenderedProgram {
  program: OwnerProgram;
  summary: BundleStepSummary[];
}

export const DEFAULT_CERTIFICATE_VALIDITY_DAYS = 365;

/**
 * Renders a plan's content into the owner program: certificate (fdo.csr) first, so a device has its
 * operational identity before anything that may use it, then files, wget, commands, uploads.
 * Files are looked up (metadata only) among the owner's own files.
 */
export async function renderProgram(
  manager: EntityManager,
  ownerTenantId: string,
  content: ConfigPlanContent,
): Promise<RenderedProgram> {
  const steps: ProgramStep[] = [];
  if (content.certificate) {
    const validityDays = content.certificate.validityDays ?? DEFAULT_CERTIFICATE_VALIDITY_DAYS;
    steps.push({
      module: Fsim.csr,
      description: `issue an operational certificate (${validityDays} days) from the owner CA`,
      kvs: csrActivate(),
      fileId: null,
      await: { kind: 'csr', validityDays },
    });
  }
  const fileIds = [...new Set((content.files ?? []).map((file) => file.fileId))];
  const files =
    fileIds.length === 0
      ? []
      : await manager.getRepository(ConfigFileEntity).find({
          select: { id: true, size: true, sha384: true, name: true },
          where: { id: In(fileIds), ownerTenantId },
        });
  const byId = new Map(files.map((file) => [file.id, file]));
  for (const delivery of content.files ?? []) {
    const file = byId.get(delivery.fileId);
    if (!file) throw new BundleRenderError(`file ${delivery.fileId} does not exist for this owner`);
    steps.push({
      module: Fsim.download,
      description: `download ${delivery.path} (${file.size} bytes, file ${file.id})`,
      kvs: downloadHeader(delivery.path, file.size, new Uint8Array(file.sha384)),
      fileId: file.id,
      await: { kind: 'download', length: file.size },
    });
  }
  for (const wget of content.wget ?? []) {
    steps.push({
      module: Fsim.wget,
      description: `fetch ${wget.url} into ${wget.path}`,
      kvs: wgetMessages(wget.url, wget.path, wget.sha384 ? Buffer.from(wget.sha384, 'hex') : null),
      fileId: null,
      await: { kind: 'wget' },
    });
  }
  for (const command of content.commands ?? []) {
    const mayFail = command.mayFail ?? false;
    steps.push({
      module: Fsim.command,
      description: `run ${[command.command, ...(command.args ?? [])].join(' ')}`,
      kvs: commandMessages({
        command: command.command,
        args: command.args ?? [],
        mayFail,
        returnStdout: command.returnStdout ?? true,
        returnStderr: command.returnStderr ?? true,
      }),
      fileId: null,
      await: { kind: 'command', mayFail },
    });
  }
  for (const upload of content.uploads ?? []) {
    const needSha = upload.needSha ?? true;
    steps.push({
      module: Fsim.upload,
      description: `upload ${upload.path} from the device`,
      kvs: uploadMessages(upload.path, needSha),
      fileId: null,
      await: { kind: 'upload', name: upload.path, needSha },
    });
  }
  return {
    program: { steps },
    summary: steps.map((step) => ({ module: step.module, description: step.description })),
  };
}
