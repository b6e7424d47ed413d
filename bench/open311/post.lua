-- wrk: POST requests.json with a fresh point and text each time, so that
-- no two requests look alike and every one is stored.
local key = os.getenv("OPEN311_KEY")
local n = 0
request = function()
  n = n + 1
  local lat = 30.10 + math.random() * 0.30
  local long = 120.00 + math.random() * 0.30
  local body = string.format(
    "api_key=%s&service_code=streetlight.out&lat=%.6f&long=%.6f&description=bench%%20%d&attribute%%5Bpole%%5D=P-%d",
    key, lat, long, n, n)
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d, errors (non-2xx): %d\n",
    summary.requests, summary.errors.status))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
