/**
 * Logging: one pino root logger, a child per subsystem (`dhcp`, `tftp`, `http`, `boot`, `store`).
 * JSON lines by default; a readable format when stdout is a terminal (or `log.format: pretty`).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Options for the root logger. */
export interface LogOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
}

/** Creates the root logger. `auto` chooses pretty output only when stdout is a TTY. */
export function createLogger(options: LogOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  if (pretty) {
    return pino({
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level: options.level, base: undefined });
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
