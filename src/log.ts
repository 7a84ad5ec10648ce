/**
 * Logging: one pino root logger, a child per subsystem (`dhcp`, `tftp`, `http`, `boot`, `store`).
 * JSON lines by default; a readable format when stdout is a terminal (or `log.format: pretty`).
 *
 * Anything a client sends can end up in a log line (a file name, a host name), so the root logger
 * guards itself: strings longer than `MAX_LOG_STRING` are cut (a 30 KB TFTP file name made a 30 KB
 * line), and warnings are rate-limited per message text (`WARN_BURST` per `WARN_WINDOW_MS`; the number
 * suppressed is reported with the next one let through), so a flood of bad packets cannot flood the log.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Options for the root logger. */
export interface LogOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
}

/** Longest string kept whole in a log line's fields and message. */
export const MAX_LOG_STRING = 512;
/** Warnings with one message text let through per window. */
export const WARN_BURST = 20;
/** The window of the warning rate limit. */
export const WARN_WINDOW_MS = 10_000;

/** `text` cut to `MAX_LOG_STRING` characters, saying how long it was. */
export function clip(text: string): string {
  return text.length <= MAX_LOG_STRING ? text : `${text.slice(0, MAX_LOG_STRING)}… (${text.length} characters)`;
}

/** A copy of a log line's fields with long strings cut, two levels deep (errors are left to pino). */
function clipFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string') out[key] = clip(value);
    else if (depth < 1 && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error)) {
      out[key] = clipFields(value as Record<string, unknown>, depth + 1);
    } else out[key] = value;
  }
  return out;
}

/** Per-message warning budget: how many passed in the current window and how many were dropped. */
interface WarnBudget {
  windowStart: number;
  passed: number;
  suppressed: number;
}

/** The pino options shared by both formats: field clipping and the warning rate limit. */
function guardOptions(now: () => number): pino.LoggerOptions {
  const budgets = new Map<string, WarnBudget>();
  return {
    formatters: { log: (fields) => clipFields(fields) },
    hooks: {
      logMethod(args, method, level) {
        const messageIndex = typeof args[0] === 'string' ? 0 : 1;
        const message = args[messageIndex];
        if (typeof message === 'string') args[messageIndex] = clip(message);
        if (level !== 40) return method.apply(this, args as Parameters<typeof method>);
        const key = typeof message === 'string' ? message.slice(0, 64) : '';
        const t = now();
        let budget = budgets.get(key);
        if (!budget || t - budget.windowStart >= WARN_WINDOW_MS) {
          if (budgets.size >= 1000) budgets.clear();
          const suppressed = budget?.suppressed ?? 0;
          budget = { windowStart: t, passed: 0, suppressed: 0 };
          budgets.set(key, budget);
          if (suppressed > 0 && messageIndex === 1 && typeof args[0] === 'object' && args[0] !== null) {
            args[0] = { ...(args[0] as object), suppressedBefore: suppressed };
          }
        }
        if (budget.passed >= WARN_BURST) {
          budget.suppressed += 1;
          return;
        }
        budget.passed += 1;
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
}

/** Creates the root logger. `auto` chooses pretty output only when stdout is a TTY. */
export function createLogger(options: LogOptions, destination?: pino.DestinationStream, now: () => number = Date.now): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  if (pretty && destination === undefined) {
    return pino({
      ...guardOptions(now),
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  const settings = { ...guardOptions(now), level: options.level, base: undefined };
  return destination ? pino(settings, destination) : pino(settings);
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
