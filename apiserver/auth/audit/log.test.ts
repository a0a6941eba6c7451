import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuditLogFile } from './log';

describe('the audit log file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-auditlog-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends JSON lines, owner-only, creating its directory', () => {
    const file = path.join(dir, 'sub', 'audit.log');
    const log = new AuditLogFile({ path: file });
    log.write({ a: 1 });
    log.write({ b: 'x' });
    log.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n{"b":"x"}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // Appends to what is there after a restart.
    const again = new AuditLogFile({ path: file });
    again.write({ c: true });
    again.close();
    expect(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('rotates past maxsize to <name>-<time><ext>, keeping at most maxbackup old files', () => {
    const file = path.join(dir, 'audit.log');
    // 1 KiB files: a line of ~300 bytes rotates every fourth write.
    const log = new AuditLogFile({ path: file, maxSizeMB: 1 / 1024, maxBackups: 2 });
    const line = { pad: 'x'.repeat(300) };
    for (let i = 0; i < 20; i++) log.write({ i, ...line });
    log.close();
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(3);
    expect(files).toContain('audit.log');
    for (const f of files.filter((x) => x !== 'audit.log')) expect(f).toMatch(/^audit-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}(\.\d+)?\.log$/);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(1024);
    // The newest lines are in the current file.
    const last = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    expect(last[last.length - 1]).toBe(19);
  });

  it('drops rotated files older than maxage days', () => {
    const file = path.join(dir, 'audit.log');
    const old = path.join(dir, 'audit-2020-01-01T00-00-00.000.log');
    fs.writeFileSync(old, '{}\n');
    const tenDaysAgo = (Date.now() - 10 * 24 * 3600 * 1000) / 1000;
    fs.utimesSync(old, tenDaysAgo, tenDaysAgo);
    const log = new AuditLogFile({ path: file, maxSizeMB: 1 / 1024, maxAgeDays: 7 });
    for (let i = 0; i < 8; i++) log.write({ i, pad: 'x'.repeat(300) });
    log.close();
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.readdirSync(dir).length).toBeGreaterThan(1);
  });
});
