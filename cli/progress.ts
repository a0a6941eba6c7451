// A one-line progress indicator for waits (rollout status, up): a spinner with the current message
// and the elapsed time on a terminal; on a pipe or file, each new message once on its own line.
import { Streams } from './io';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private message = '';
  private timer?: NodeJS.Timeout;
  private frame = 0;
  private readonly started = Date.now();

  constructor(
    private readonly streams: Streams,
    private readonly tty: boolean = !!process.stderr.isTTY,
  ) {}

  /** Shows a new message (printed once when not on a terminal). */
  update(message: string): void {
    if (message === this.message) return;
    this.message = message;
    if (!this.tty) {
      this.streams.err(message + '\n');
      return;
    }
    if (!this.timer) {
      this.timer = setInterval(() => this.render(), 100);
      this.timer.unref();
    }
    this.render();
  }

  private render(): void {
    this.frame = (this.frame + 1) % frames.length;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    this.streams.err(`\r\x1b[2K${frames[this.frame]} ${this.message} (${secs}s)`);
  }

  /** Stops the spinner, leaving the final line (if any) printed. */
  done(finalLine?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.message) this.streams.err('\r\x1b[2K');
    if (finalLine) this.streams.err(finalLine + '\n');
  }
}
