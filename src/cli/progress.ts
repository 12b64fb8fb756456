// Progress for long work (check, doc, demo, grade): a bar on stderr when stderr is a terminal, and
// nothing at all in a pipe, in CI or with a file that is not a terminal, so piped output and logs
// stay exactly the report. One place decides, so every command behaves alike.
import type { CliIO } from './io.js';

/** The stream a bar draws on: stderr, or a test's fake terminal. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface Progress {
  /** `done` of `total` finished; `item` is what was just finished (an instruction, a spec). */
  update(done: number, total: number, item: string): void;
  /** Remove the bar (the report follows on stdout). */
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };

/** Should long work show a bar on this stream? A terminal, not CI (CI logs are not terminals, but
 *  some runners fake one), and ISAVIRT_PROGRESS not set to 0. */
export function progressWanted(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  if (env.ISAVIRT_PROGRESS === '0') return false;
  if (env.ISAVIRT_PROGRESS === '1') return true;
  return stream.isTTY === true && env.CI === undefined;
}

/**
 * A progress bar labelled `label` ("analysing x86_386"), or a no-op when progress is not wanted.
 * cli-progress is loaded only when a bar is drawn.
 */
export async function startProgress(label: string, io: Pick<CliIO, 'env'>, stream: ProgressStream = process.stderr): Promise<Progress> {
  if (!progressWanted(stream, io.env)) return NONE;
  const { SingleBar, Presets } = await import('cli-progress');
  let bar: InstanceType<typeof SingleBar> | undefined;
  return {
    update(done, total, item) {
      if (!bar) {
        bar = new SingleBar(
          {
            format: `${label} [{bar}] {value}/{total} {item}`,
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: true,
            // A fake terminal in a test has no cursor control; the bar still draws.
            noTTYOutput: stream.isTTY !== true,
            barsize: 24,
          },
          Presets.shades_classic,
        );
        bar.start(total, 0, { item: '' });
      }
      bar.setTotal(total);
      bar.update(done, { item });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** Columns to fit: the terminal's width on a TTY (at least 40), else 80. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return Math.max(40, stream.columns);
  return 80;
}
