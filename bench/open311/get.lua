-- wrk: GET requests.json, the default list (the last 90 days, at most
-- 1,000), paged by 50 as a client such as FixMyStreet pages it.
request = function()
  local page = math.random(1, 5)
  return wrk.format("GET", string.format("/open311/v2/requests.json?page_size=50&page=%d", page))
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d, errors (non-2xx): %d\n",
    summary.requests, summary.errors.status))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
