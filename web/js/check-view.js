// The check page (R-APP-9, signed-in only): every endpoint the app uses, timed from this browser,
// and — where the deployment offers `/status` (the local edge) — every region's balancer, pool
// and zone with health and latency as the edge sees them.
import config from "../config.js";
import { api, ApiError } from "./api.js";
import * as cognito from "./cognito.js";
import { h, replaceChildren } from "./dom.js";
import * as session from "./session.js";

const $ = (id) => document.getElementById(id);

export function init() {
  $("check-again").addEventListener("click", () => show());
}

async function timed(action) {
  const started = performance.now();
  try {
    const detail = await action();
    return { healthy: true, latencyMs: performance.now() - started, detail };
  } catch (error) {
    const message = error instanceof ApiError || error instanceof cognito.CognitoError ? error.message : "no answer";
    return { healthy: false, latencyMs: null, error: message };
  }
}

function row(what, regionName, zone, check, kind) {
  const status = check.healthy ? "healthy" : `down${check.error ? `: ${check.error}` : ""}`;
  return h("tr", { class: check.healthy ? "ok" : "bad", "data-kind": kind, "data-healthy": String(check.healthy) },
    h("th", { scope: "row" }, what),
    h("td", { class: regionName ? "region" : "region none", "data-label": "Region" }, regionName || "—"),
    h("td", { class: zone ? "zone" : "zone none", "data-label": "Zone" }, zone || "—"),
    h("td", { class: "status" }, h("span", { class: "dot", "aria-hidden": "true" }), status),
    h("td", { class: "latency" }, check.latencyMs == null ? "—" : `${Math.round(check.latencyMs)} ms`));
}

export async function show() {
  const body = $("check-table").querySelector("tbody");
  $("check-summary").textContent = "Checking…";
  $("check-table").setAttribute("aria-busy", "true");
  const uid = encodeURIComponent(session.user().sub);
  const probes = [
    ["Sign-in (user pool " + config.userPoolId + ")", config.identityRegion, null, "identity",
      () => cognito.getUser(session.accessToken())],
    ...config.regions.map((name) => [`Chat API /${name}/tags`, name, null, "api", async () => {
      const response = await api(`/${name}/tags`, { stream: true });
      const answered = response.headers.get("x-cakap-region");
      await response.text();
      if (answered && answered !== name) throw new ApiError(503, `answered by ${answered} instead`);
    }]),
    ["Conversations API", null, null, "api", () => api(`/conversations/${uid}?limit=1`)],
  ];
  const [status, ...checks] = await Promise.all([
    config.statusPath ? timed(() => api(config.statusPath)) : Promise.resolve(null),
    ...probes.map(([, , , , action]) => timed(action)),
  ]);
  const rows = probes.map(([what, regionName, zone, kind], index) => row(what, regionName, zone, checks[index], kind));
  if (status?.healthy) {
    for (const region of status.detail.regions) {
      rows.push(row("Load balancer", region.name, null, region.balancer, "balancer"));
      for (const pool of region.pools) {
        for (const target of pool.targets) {
          const check = { ...target.check, healthy: target.check.healthy && target.balancerHealthy };
          if (target.check.healthy && !target.balancerHealthy) check.error = "failing the balancer's health check";
          rows.push(row(`${pool.name} pool`, region.name, target.zone, check, "pool"));
        }
      }
    }
    for (const service of status.detail.services) rows.push(row(`${service.name} service`, null, null, service.check, "service"));
  } else if (status) {
    rows.push(row("Fleet status (/status)", null, null, status, "status"));
  }
  replaceChildren(body, rows);
  const bad = rows.filter((tr) => tr.dataset.healthy !== "true").length;
  $("check-summary").textContent = bad ? `${bad} of ${rows.length} checks failed.` : `All ${rows.length} checks are healthy.`;
  $("check-summary").dataset.failed = String(bad);
  $("check-table").removeAttribute("aria-busy");
}
