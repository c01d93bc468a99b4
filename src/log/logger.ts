import { pino } from 'pino';

/**
 * The structural logger every part receives (pino satisfies it). Log lines carry identifiers
 * (UIDs, patient IDs, AE titles, addresses) and never names, birth dates or other patient data.
 */
export interface Logger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'kakutei' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: should a patient attribute ever reach a log call, it is censored.
    redact: { paths: ['patientName', '*.patientName', 'PatientName', '*.PatientName', 'patientBirthDate', '*.patientBirthDate', 'password', '*.password'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** A logger that drops everything, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
