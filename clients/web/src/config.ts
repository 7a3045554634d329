// What the app needs to know about where it runs: written next to the app at deploy time
// (AWS) or answered by the local server (`make run`). Ids and origins only, never a secret.
export interface AppConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  identityPoolId: string;
  bucket: string;
  /** Where the to-do API is served, without a trailing slash; empty when the app's own origin serves it. */
  apiOrigin: string;
  /** The local AWS endpoint (moto) for Cognito and S3; null in AWS. */
  awsEndpoint: string | null;
  /** USER_SRP_AUTH in AWS; USER_PASSWORD_AUTH against the local endpoint, whose SRP checks no password. */
  authFlow: "USER_SRP_AUTH" | "USER_PASSWORD_AUTH";
}

const CACHED = "mytodolist.config";

/** The config from the server, or the last one read when offline. */
export async function loadConfig(): Promise<AppConfig> {
  try {
    const answer = await fetch("config.json", { cache: "no-cache" });
    if (!answer.ok) throw new Error(`config.json: ${answer.status}`);
    const config = (await answer.json()) as AppConfig;
    localStorage.setItem(CACHED, JSON.stringify(config));
    return config;
  } catch (error) {
    const cached = localStorage.getItem(CACHED);
    if (cached === null) throw error;
    return JSON.parse(cached) as AppConfig;
  }
}
