// Attachments in the user's own folder, users/<sub>/todos/<to-do id>/: read, listed and deleted
// directly with S3 using identity-pool credentials (GetId + GetCredentialsForIdentity with the
// user-pool ID token); written through the API's presigned POST, because the identity role may
// not PutObject (IAM cannot cap a size; the POST's size range is where the quota holds).
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { TodoClient } from "mytodolist-client";

import type { AppConfig } from "./config.js";

export interface Attachment {
  name: string;
  key: string;
  size: number;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** A name the API's path rules accept: no %, backslash, control characters or empty segments. */
export function safeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[%\\/\u0000-\u001f\u007f]/g, "_").trim();
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "file" : cleaned.slice(0, 200);
}

export class Attachments {
  private readonly identity: CognitoIdentityClient;
  private readonly s3: S3Client;
  private identityId: string | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly api: TodoClient,
    private readonly idToken: () => Promise<string>,
    private readonly prefix: string,
  ) {
    const endpoint = config.awsEndpoint ?? undefined;
    this.identity = new CognitoIdentityClient({ region: config.region, endpoint });
    this.s3 = new S3Client({
      region: config.region,
      endpoint,
      forcePathStyle: endpoint !== undefined, // the local endpoint has no bucket host names
      credentials: () => this.credentials(),
    });
  }

  private logins(token: string): Record<string, string> {
    return { [`cognito-idp.${this.config.region}.amazonaws.com/${this.config.userPoolId}`]: token };
  }

  /** Temporary credentials of the identity pool's authenticated role; the SDK asks again before they expire. */
  private async credentials(): Promise<Credentials> {
    const token = await this.idToken();
    if (this.identityId === null) {
      const { IdentityId } = await this.identity.send(
        new GetIdCommand({ IdentityPoolId: this.config.identityPoolId, Logins: this.logins(token) }),
      );
      if (!IdentityId) throw new Error("The identity pool gave no identity.");
      this.identityId = IdentityId;
    }
    const { Credentials: given } = await this.identity.send(
      new GetCredentialsForIdentityCommand({ IdentityId: this.identityId, Logins: this.logins(token) }),
    );
    if (!given?.AccessKeyId || !given.SecretKey || !given.SessionToken || !given.Expiration) {
      throw new Error("The identity pool gave no credentials.");
    }
    return {
      accessKeyId: given.AccessKeyId,
      secretAccessKey: given.SecretKey,
      sessionToken: given.SessionToken,
      expiration: given.Expiration,
    };
  }

  private folder(todoId: string): string {
    return `todos/${todoId}/`;
  }

  async list(todoId: string): Promise<Attachment[]> {
    const prefix = this.prefix + this.folder(todoId);
    const found: Attachment[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key) found.push({ name: item.Key.slice(prefix.length), key: item.Key, size: item.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found;
  }

  /** Through the API's presigned POST: the bytes go straight to S3, within the user's quota. */
  async upload(todoId: string, file: File): Promise<void> {
    const form = await this.api.presignUpload({
      path: this.folder(todoId) + safeName(file.name),
      content_type: file.type || "application/octet-stream",
      size: file.size,
    });
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append("file", file);
    const answer = await fetch(form.url, { method: "POST", body });
    if (!answer.ok) throw new Error(`The upload was refused (${answer.status}).`);
  }

  async download(attachment: Attachment): Promise<Blob> {
    const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: attachment.key }));
    if (!answer.Body) throw new Error("Empty answer.");
    const bytes = await answer.Body.transformToByteArray();
    return new Blob([bytes], { type: answer.ContentType ?? "application/octet-stream" });
  }

  async remove(attachment: Attachment): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: attachment.key }));
  }
}
