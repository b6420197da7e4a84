/** Activities for test/workflows/echo.ts. */
export const createEchoActivities = (calls: string[]) => ({
  async echo(marker: string): Promise<string> {
    calls.push('echo');
    return `activity saw ${marker}`;
  },
  async refuse(marker: string): Promise<never> {
    calls.push('refuse');
    throw new Error(`activity refused ${marker}`);
  },
});
export type EchoActivities = ReturnType<typeof createEchoActivities>;
