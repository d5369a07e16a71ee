import { LogOnChange } from './log-on-change';

describe('LogOnChange', () => {
  it('logs the first outcome of a key, then only changes of outcome', () => {
    const lines: string[] = [];
    const log = new LogOnChange((l) => lines.push(l));
    log.report('a', 'ok', 'a ok 1');
    log.report('a', 'ok', 'a ok 2');
    log.report('b', 'ok', 'b ok 1');
    log.report('a', 'failed: x', 'a failed 1');
    log.report('a', 'failed: x', 'a failed 2');
    log.report('a', 'failed: y', 'a failed y');
    log.report('a', 'ok', 'a ok 3');
    expect(lines).toEqual(['a ok 1', 'b ok 1', 'a failed 1', 'a failed y', 'a ok 3']);
  });

  it('logs a forgotten key again', () => {
    const lines: string[] = [];
    const log = new LogOnChange((l) => lines.push(l));
    log.report('a', 'ok', 'first');
    log.forget('a');
    log.report('a', 'ok', 'again');
    expect(lines).toEqual(['first', 'again']);
  });
});
