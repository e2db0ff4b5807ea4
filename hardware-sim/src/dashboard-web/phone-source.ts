/**
 * Where the dashboard's phone panel gets its phone: --gateway/--credential flags, else
 * data/demo.json (written by `npm start` after the simulator is up, so it is read when the panel is
 * used, not at start). CODEPAY_DATA_DIR moves data/, as it does for `npm start`.
 */
import { join } from "node:path";
import { readDemoConfig } from "../scenarios/demo-config.js";
import type { PhoneSource } from "./dashboard-web.js";

export function defaultDemoPath(environment: NodeJS.ProcessEnv = process.env): string {
  return join(environment.CODEPAY_DATA_DIR ?? "./data", "demo.json");
}

export function phoneSource(flags: { readonly gateway?: string; readonly credential?: string; readonly demoPath: string }): PhoneSource {
  return async () => {
    const demo = flags.gateway !== undefined && flags.credential !== undefined ? undefined : await readDemoConfig(flags.demoPath);
    const gatewayUrl = flags.gateway ?? demo?.gateway;
    const subscriberCredential = flags.credential ?? demo?.subscriberCredential;
    return gatewayUrl === undefined || subscriberCredential === undefined ? undefined : { gatewayUrl, subscriberCredential };
  };
}
