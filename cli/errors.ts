// How verbs fail, as kubectl does: `Error from server (Reason): message` for apiserver errors (the
// Status it sent), `error: message` for the rest; the process exits non-zero either way.
import { ApiError } from '../lib/client/client';

/** An error already reported to the user; only the exit code is left to set. */
export class ReportedError extends Error {
  constructor(message = 'reported') {
    super(message);
    this.name = 'ReportedError';
  }
}

/** kubectl's line for a 422: `The Deployment "x" is invalid: field: message`, from the Status details. */
function invalidMessage(err: ApiError): string | undefined {
  const d = err.status.details;
  if (err.code !== 422 || err.status.reason !== 'Invalid' || !d?.kind || !d.name || !d.causes?.length) return undefined;
  const causes = d.causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message || ''));
  return `The ${d.kind} "${d.name}" is invalid: ${causes.length === 1 ? causes[0] : `[${causes.join(', ')}]`}`;
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const invalid = invalidMessage(err);
    if (invalid) return invalid;
    const reason = err.status.reason || (err.code >= 500 ? 'InternalError' : 'Unknown');
    return `Error from server (${reason}): ${err.status.message || `HTTP ${err.code}`}`;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EHOSTUNREACH')) {
    return `The connection to the server was refused (${e.message}) - did you specify the right host or port? (is the cluster up? try \`steer up\`)`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.startsWith('error: ') ? message : `error: ${message}`;
}

/** Wraps a verb's action: errors are printed to stderr and make the exit code 1. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof ReportedError)) process.stderr.write(describeError(err) + '\n');
      process.exitCode = 1;
    }
  };
}

/** Reports several objects' errors as kubectl does: one `error:` line, then one line per further object. */
export function failWith(errors: string[]): void {
  if (errors.length) throw new Error(errors.join('\n'));
}
