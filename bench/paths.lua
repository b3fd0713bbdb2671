-- wrk script: GET the paths given as arguments in turn (bench/scrape.py spreads traffic
-- over many routes and statuses this way, so /metrics has a realistic number of series).
local paths, sent = {}, 0

function init(args)
  paths = args
end

function request()
  sent = sent + 1
  return wrk.format("GET", paths[(sent - 1) % #paths + 1])
end
