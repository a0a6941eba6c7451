// The audit log backend (kube-apiserver's --audit-log-path): one JSON audit.k8s.io/v1 Event per line,
// written synchronously and in order, to a file rotated as kube does it through lumberjack — when the
// next line would take the file past --audit-log-maxsize megabytes (default 100), it is renamed to
// <name>-<UTC time><ext> and a new one started; at most --audit-log-maxbackup old files are kept (0: all)
// and none older than --audit-log-maxage days (0: no limit). "-" writes to standard output.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface AuditLogOptions {
  path: string;
  /** Megabytes before rotation (0: 100, lumberjack's default). */
  maxSizeMB?: number;
  /** Old files kept (0: all). */
  maxBackups?: number;
  /** Days old files are kept (0: no limit). */
  maxAgeDays?: number;
}

export interface AuditSink {
  write(event: object): void;
  close(): void;
}

/** `2024-01-02T03-04-05.678`: lumberjack's backup time format. */
function backupTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '').replace(/:/g, '-');
}

export class AuditLogFile implements AuditSink {
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly dir: string;
  private readonly base: string;
  private readonly ext: string;

  constructor(private readonly o: AuditLogOptions) {
    this.maxBytes = (o.maxSizeMB && o.maxSizeMB > 0 ? o.maxSizeMB : 100) * 1024 * 1024;
    this.dir = path.dirname(o.path);
    this.ext = path.extname(o.path);
    this.base = path.basename(o.path, this.ext);
    if (o.path !== '-') this.open();
  }

  private open(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // The log holds who did what, with request bodies at some levels: readable by its owner only.
    this.fd = fs.openSync(this.o.path, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(event: object): void {
    const line = `${JSON.stringify(event)}\n`;
    if (this.o.path === '-') {
      process.stdout.write(line);
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    fs.writeSync(this.fd!, line);
    this.size += bytes;
  }

  private rotate(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    let backup = path.join(this.dir, `${this.base}-${backupTime(new Date())}${this.ext}`);
    for (let i = 1; fs.existsSync(backup); i++) backup = path.join(this.dir, `${this.base}-${backupTime(new Date())}.${i}${this.ext}`);
    fs.renameSync(this.o.path, backup);
    this.open();
    this.prune();
  }

  /** The rotated files, newest first. */
  backups(): string[] {
    const prefix = `${this.base}-`;
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith(this.ext) && f !== path.basename(this.o.path))
      .map((f) => path.join(this.dir, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs || (a < b ? 1 : -1));
  }

  private prune(): void {
    const old = this.backups();
    const remove = new Set<string>();
    if (this.o.maxBackups && this.o.maxBackups > 0) for (const f of old.slice(this.o.maxBackups)) remove.add(f);
    if (this.o.maxAgeDays && this.o.maxAgeDays > 0) {
      const cutoff = Date.now() - this.o.maxAgeDays * 24 * 3600 * 1000;
      for (const f of old) if (fs.statSync(f).mtimeMs < cutoff) remove.add(f);
    }
    for (const f of remove) fs.rmSync(f, { force: true });
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
