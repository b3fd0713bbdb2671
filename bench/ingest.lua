-- wrk script for bench/ingest.py: each request POSTs one new alert (Alertmanager webhook
-- v4) with a fingerprint no other request uses: ApiDown, which the bridge does not measure in
-- Prometheus (bench/ingest.py says why). Args: <run id> <bearer token>.
local run, token, sent = "run", "", 0
local threads = 0

-- runs in wrk's main Lua state; thread:set makes `thread_id` a global of that thread's state
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  run, token = args[1], args[2]
end

local template = [[{"version":"4","status":"firing","receiver":"bridge",
"groupKey":"{}:{alertname=\"ApiDown\"}","truncatedAlerts":0,
"groupLabels":{"alertname":"ApiDown"},
"commonLabels":{"alertname":"ApiDown","severity":"critical","alert_type":"api_down"},
"commonAnnotations":{},"externalURL":"http://127.0.0.1:9093",
"alerts":[{"status":"firing",
"labels":{"alertname":"ApiDown","severity":"critical","alert_type":"api_down","instance":"api-%s"},
"annotations":{"summary":"API instance is down","value":"0","threshold":"1"},
"startsAt":"2025-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z",
"generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"%s"}]}]]

function request()
  sent = sent + 1
  local fingerprint = string.format("%s-%d-%d", run, thread_id, sent)
  local body = string.format(template, fingerprint, fingerprint)
  return wrk.format("POST", "/webhook", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
