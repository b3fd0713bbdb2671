-- wrk script for bench/capacity.py: each request POSTs one new task. Args: <API token>.
local token = ""

function init(args)
  token = args[1]
end

function request()
  return wrk.format("POST", "/api/v1/tasks/", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Token " .. token,
  }, '{"title": "capacity", "priority": "HIGH"}')
end
