import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { ApiError, onError } from "./errors";
import { requireOrganisation, type AppEnv } from "./middleware";
import { openApiRoutes } from "./openapi/routes";
import { dashboardRoutes } from "./routes/dashboard";
import { certificateRoutes } from "./routes/certificate";
import { certificatesRoutes } from "./routes/certificates";
import { deliveryRoutes } from "./routes/deliveries";
import { checkRoutes } from "./routes/checks";
import { eventRoutes } from "./routes/events";
import { eventTypeRoutes } from "./routes/event-types";
import { exportRoutes } from "./routes/exports";
import { logRoutes } from "./routes/logs";
import { organisationRoutes } from "./routes/organisations";
import { recoveryRoutes } from "./routes/recoveries";
import { secretRoutes } from "./routes/secret";
import { statsTimeseriesRoutes } from "./routes/stats-timeseries";
import { storageMeterRoutes } from "./routes/storage-meter";
import { testEventRoutes } from "./routes/test-event";
import { webhookRoutes } from "./routes/webhooks";

/** The HTTP API: one sub-app per resource, auth at the mount, one error handler. */
export const app = new Hono<AppEnv>();

app.use(requestId());
app.get("/", (c) => c.json({ service: "nafsi-webhooks", docs: "/docs", openapi: "/openapi.json" }));

app.route("/", openApiRoutes);
app.route("/dashboard", dashboardRoutes);
app.route("/v1/organisations", organisationRoutes);
app.route("/v1/events", eventRoutes);
app.route("/v1/checks", checkRoutes);
app.route("/v1/organisations", storageMeterRoutes);

app.use("/v1/webhooks/*", requireOrganisation);
app.use("/v1/webhooks", requireOrganisation);
app.use("/v1/event-types", requireOrganisation);
app.use("/v1/exports/*", requireOrganisation);
app.use("/v1/certificates/*", requireOrganisation);
app.route("/v1/webhooks", webhookRoutes);
app.route("/v1/webhooks", certificateRoutes);
app.route("/v1/webhooks", testEventRoutes);
app.route("/v1/webhooks", secretRoutes);
app.route("/v1/webhooks", logRoutes);
app.route("/v1/webhooks", deliveryRoutes);
app.route("/v1/webhooks", recoveryRoutes);
app.route("/v1/webhooks", statsTimeseriesRoutes);
app.route("/v1/certificates", certificatesRoutes);
app.route("/v1/exports", exportRoutes);
app.route("/v1/event-types", eventTypeRoutes);

app.notFound(() => {
  throw new ApiError("NOT_FOUND", "No such route");
});
app.onError(onError);
