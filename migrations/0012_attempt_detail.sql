-- A delivery's detail (GET /v1/webhooks/{id}/deliveries/{delivery_id}) shows each attempt's
-- request and response. The request is built again from the revision it was sent with (the
-- headers are a function of it, the delivery and the attempt's time: src/delivery/attempt.ts),
-- so the revision's id is kept, since a resend moves the delivery to the current revision;
-- except the headers that depend on the secret, which a rotation changes in place: those are
-- kept as sent, masked (JSON pairs, src/delivery/signing-headers.ts).
-- Of the response, the content type and at most 1 KiB of the body (NULL when empty).
ALTER TABLE attempts ADD COLUMN revision_id TEXT;
ALTER TABLE attempts ADD COLUMN signed_headers TEXT;
ALTER TABLE attempts ADD COLUMN response_content_type TEXT;
ALTER TABLE attempts ADD COLUMN response_body TEXT;
