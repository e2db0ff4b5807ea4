/** data/demo.json, written by `npm start` (docs/contracts.md): where everything listens, and the demo phone. */
import { readFile } from "node:fs/promises";
import { z } from "zod";

export const DemoConfigSchema = z.object({
  gateway: z.string().optional(),
  cashierApi: z.string().optional(),
  sim: z.string().optional(),
  subscriberCredential: z.string().optional(),
  phoneId: z.string().optional(),
  storeId: z.string().optional(),
  registerId: z.string().optional(),
});
export type DemoConfig = z.infer<typeof DemoConfigSchema>;

/** The parsed file; undefined when it does not exist. Throws when it exists but is malformed. */
export async function readDemoConfig(path: string): Promise<DemoConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = DemoConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.message}`);
  return parsed.data;
}
