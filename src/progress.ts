// A long wait: a spinner on a terminal, one plain line otherwise. Always on stderr.
import type { Context } from './context.js';

export interface Progress {
  stop(finalLine?: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function waitIndicator(ctx: Context, text: string): Progress {
  const { io } = ctx;
  text = ctx.out.clean(text);
  if (!io.stderrIsTTY || ctx.out.json) {
    io.stderr.write(`${text}\n`);
    return { stop: (finalLine) => void (finalLine && ctx.out.info(finalLine)) };
  }
  let frame = 0;
  const draw = () => io.stderr.write(`\r${ctx.out.errStyle.cyan(FRAMES[frame++ % FRAMES.length]!)} ${text}`);
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    stop(finalLine) {
      clearInterval(timer);
      io.stderr.write('\r\u001b[2K');
      if (finalLine) ctx.out.info(finalLine);
    },
  };
}
