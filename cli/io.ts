// Where verbs write: stdout and stderr in the binary, buffers in tests.
export interface Streams {
  out(text: string): void;
  err(text: string): void;
}

export const processStreams: Streams = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

/** Streams that collect what a verb printed (tests). */
export function bufferStreams(): Streams & { stdout: string; stderr: string } {
  const s = {
    stdout: '',
    stderr: '',
    out(text: string) {
      s.stdout += text;
    },
    err(text: string) {
      s.stderr += text;
    },
  };
  return s;
}
