import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { type ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, ProblemException, type ProblemDetails } from './problem-details';
import { type RequestWithId } from './request-id';
import { isRestconfPath, restconfHttpError } from './restconf-errors';

type Request = RequestWithId & { originalUrl?: string };

/**
 * The global error format of REST routes: RFC 7807 `application/problem+json` with the request
 * id, never a stack trace. Unexpected errors are 500s, logged with their stack here only.
 *
 * Method- and controller-scoped filters run before this one, so a route with its own error format
 * (FDO message 255 on /fdo/101/msg/:n) declares `@UseFilters(ItsFilter)` and is left alone.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<ServerResponse>();
    const problem = this.toProblem(exception, req);
    if (problem.status >= 500) {
      this.logger.error(exception instanceof Error ? exception : String(exception));
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const path = problem.instance ?? '';
    if (isRestconfPath(path)) {
      // SZTP's RESTCONF resources answer in RESTCONF's error format, whatever went wrong.
      const error = restconfHttpError(req, path, problem.status, problem.detail, req.id);
      res.statusCode = error.status;
      res.setHeader('Content-Type', error.contentType);
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      res.end(error.body);
      return;
    }
    res.statusCode = problem.status;
    res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.end(JSON.stringify(problem));
  }

  private toProblem(exception: unknown, req: Request): ProblemDetails {
    const context = { instance: (req.originalUrl ?? req.url ?? '').split('?')[0], requestId: req.id };
    if (exception instanceof ProblemException) {
      const { type, title, detail, extensions } = exception.description;
      return { ...extensions, type, title, status: exception.getStatus(), detail, ...context };
    }
    const status = statusOf(exception);
    const base = { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status };
    if (status >= 500) {
      return {
        ...base,
        detail: 'An unexpected error occurred; quote the request id when reporting it.',
        ...context,
      };
    }
    return { ...base, detail: detailOf(exception, status), ...context };
  }
}

/** HttpException status, an http-errors status (body parsers), or 500. */
function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function detailOf(exception: unknown, status: number): string | undefined {
  if (status === 413) {
    const limit = (exception as { limit?: unknown }).limit;
    return typeof limit === 'number' ? `The request body exceeds the limit of ${limit} bytes.` : undefined;
  }
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    return typeof message === 'string' ? message : exception.message;
  }
  return exception instanceof Error ? exception.message : undefined;
}
