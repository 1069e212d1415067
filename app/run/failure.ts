/** Error messages shared by the language-model and vision run loops. */

/** Describes a thrown error; GPU calls on a destroyed or lost device can reject with an empty message. */
export function describeFailure(error: unknown, step: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (message.trim()) return message;
  const name = error instanceof Error ? error.name : 'Error';
  return (
    `A GPU operation failed at step ${step + 1} (${name}, no message); the device was probably lost or destroyed. ` +
    'Results recorded so far are kept. Restart the run, or reload the page to get a new device.'
  );
}
