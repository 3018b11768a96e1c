// The product document's Node verification snippet ("Verifying Webhook Signatures"), as it
// stands; only the export at the bottom is ours.
const crypto = require('crypto');

function verifyWebhookSignature(payload, signature, secret) {
// Compute expected signature
const expectedSignature = crypto
.createHmac('sha256', secret)
.update(JSON.stringify(payload))
.digest('hex');

// Compare signatures (constant-time comparison)
return crypto.timingSafeEqual(
Buffer.from(signature),
Buffer.from('sha256=' + expectedSignature)
);
}

module.exports = { verifyWithDocSnippet: verifyWebhookSignature };
