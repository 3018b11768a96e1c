/** What a test receiver records of each request (shared by the Node receiver and the tests). */
export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  tls: boolean;
  client_cert_subject: string | null;
  /** Requests of the same bucket still unanswered when this one arrived, itself included. */
  in_flight?: number;
}
