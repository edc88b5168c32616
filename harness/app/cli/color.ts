/**
 * Colour only on a terminal, and never when NO_COLOR is set to anything but the empty string
 * (https://no-color.org).
 */
export function colorWanted(
  stream: { readonly isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
