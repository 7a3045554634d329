// Sign-up, sign-in, token refresh and sign-out against the Cognito user pool, with
// amazon-cognito-identity-js (SRP in AWS: the password never leaves the browser).
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
  type CognitoUserSession,
} from "amazon-cognito-identity-js";

import type { AppConfig } from "./config.js";

export class Auth {
  private readonly pool: CognitoUserPool;

  constructor(private readonly config: AppConfig) {
    this.pool = new CognitoUserPool({
      UserPoolId: config.userPoolId,
      ClientId: config.clientId,
      // The library's default is Cognito's regional endpoint; locally, the moto endpoint.
      ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    });
  }

  private user(email: string): CognitoUser {
    const user = new CognitoUser({ Username: email, Pool: this.pool });
    user.setAuthenticationFlowType(this.config.authFlow);
    return user;
  }

  signUp(email: string, password: string): Promise<void> {
    const attributes = [new CognitoUserAttribute({ Name: "email", Value: email })];
    return new Promise((resolve, reject) =>
      this.pool.signUp(email, password, attributes, [], (error) => (error ? reject(error) : resolve())),
    );
  }

  /** The code Cognito emailed after sign-up. */
  confirm(email: string, code: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.user(email).confirmRegistration(code, true, (error) => (error ? reject(error) : resolve())),
    );
  }

  signIn(email: string, password: string): Promise<CognitoUserSession> {
    const details = new AuthenticationDetails({ Username: email, Password: password });
    return new Promise((resolve, reject) =>
      this.user(email).authenticateUser(details, {
        onSuccess: resolve,
        onFailure: reject,
        newPasswordRequired: () => reject(new Error("This account needs a new password; ask an administrator.")),
      }),
    );
  }

  /** The signed-in user's session, refreshed with the refresh token when its tokens expired; null when signed out. */
  session(): Promise<CognitoUserSession | null> {
    const user = this.pool.getCurrentUser();
    if (user === null) return Promise.resolve(null);
    return new Promise((resolve) =>
      user.getSession((error: Error | null, session: CognitoUserSession | null) =>
        resolve(error || !session?.isValid() ? null : session),
      ),
    );
  }

  async accessToken(): Promise<string> {
    const session = await this.session();
    if (session === null) throw new Error("Signed out.");
    return session.getAccessToken().getJwtToken();
  }

  async idToken(): Promise<string> {
    const session = await this.session();
    if (session === null) throw new Error("Signed out.");
    return session.getIdToken().getJwtToken();
  }

  /** Forgets the tokens on this device at once, and asks Cognito to revoke its refresh token. */
  signOut(): void {
    const user = this.pool.getCurrentUser();
    if (user === null) return;
    // With a callback the library revokes the refresh token (RevokeToken), retrying for minutes
    // when Cognito cannot be reached; the session is read before this returns, so the revocation
    // goes on in the background while the tokens are forgotten right away, offline too.
    user.signOut(() => undefined);
    this.pool.getCurrentUser()?.signOut();
  }
}
