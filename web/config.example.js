// An example of the generated config.js (docs/web.md). The local edge serves the real one at
// /config.js from its own settings; `cakap aws deploy` writes it into the Amplify bundle from the
// stack outputs. Never commit a real config.js.
export default Object.freeze({
  apiBaseURL: "",
  identityEndpoint: "/idp/",
  identityRegion: "us-east-1",
  userPoolId: "us-east-1_CakapDev1",
  clientId: "cakapdevelopmentclient0001",
  regions: ["us-east-1", "us-west-2"],
  defaultModel: "smollm2:135m",
  statusPath: "/status",
});
