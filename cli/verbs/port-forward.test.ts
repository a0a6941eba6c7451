import { parsePortMappings } from './port-forward';
import { parseRemote } from './cp';
import { exitCodeOf } from '../remote-command';

describe('port-forward mappings', () => {
  it('reads LOCAL:REMOTE, :REMOTE and REMOTE as kubectl does', () => {
    expect(parsePortMappings(['8080:80', ':443', '5000'])).toEqual([
      { local: 8080, remote: '80' },
      { local: 0, remote: '443' },
      { local: 5000, remote: '5000' },
    ]);
  });
  it('refuses bad local ports and extra colons', () => {
    expect(() => parsePortMappings(['70000:80'])).toThrow("Error parsing local port '70000': should be from 0 to 65535");
    expect(() => parsePortMappings(['1:2:3'])).toThrow("invalid port format '1:2:3'");
  });
});

describe('cp specifications', () => {
  it('tells pod paths from local ones', () => {
    expect(parseRemote('bb:/tmp/f')).toEqual({ pod: 'bb', path: '/tmp/f' });
    expect(parseRemote('ns/bb:/tmp/f')).toEqual({ namespace: 'ns', pod: 'bb', path: '/tmp/f' });
    expect(parseRemote('/tmp/a:b')).toBeUndefined();
    expect(parseRemote('./a:b')).toBeUndefined();
    expect(parseRemote('file.txt')).toBeUndefined();
    expect(() => parseRemote('bb:')).toThrow('filepath can not be empty');
  });
});

describe('exit codes from the final Status', () => {
  it('maps Success, NonZeroExitCode and other failures', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } })).toBe(3);
    expect(exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'boom' })).toBeUndefined();
  });
});
