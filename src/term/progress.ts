// A long wait: a spinner on a terminal, one plain line otherwise. Always on stderr.
import type { IO } from './io.js';
import type { Output } from './output.js';

export interface Progress {
  stop(finalLine?: string): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function waitIndicator(ctx: { io: IO; out: Output }, text: string): Progress {
  const { io } = ctx;
  if (!io.stderrIsTTY || ctx.out.json) {
    io.stderr.write(`${ctx.out.clean(text)}\n`);
    return { stop: (finalLine) => void (finalLine && ctx.out.info(finalLine)) };
  }
  let frame = 0;
  // Styled text carries the output's colour markers: it reaches the terminal only through clean(), which restores them.
  const line = (glyph: string) => ctx.out.clean(`${ctx.out.errStyle.cyan(glyph)} ${text}`);
  const draw = () => io.stderr.write(`\r${line(FRAMES[frame++ % FRAMES.length]!)}`);
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
