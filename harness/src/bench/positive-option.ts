/** A benchmark flag that must be a positive number: its value, or an error naming the flag. */
export function positiveOption(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
