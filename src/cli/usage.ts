export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function usageError(message: string, help: string): number {
  process.stderr.write(`kakutei: ${message}\n\n${help}`);
  return EXIT_USAGE;
}

export function parsePort(text: string | undefined, flag: string): number | undefined | Error {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) return new Error(`${flag} must be a port number (0–65535)`);
  return value;
}
