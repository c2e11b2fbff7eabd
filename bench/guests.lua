-- Every guest opens the link: each request carries the next guest's cookie
-- (the signed cookie a browser keeps after replying), in turn, from
-- WRK_COOKIES (one "name=value" per line, written by bench/run.py).
local cookies = {}
for line in io.lines(os.getenv("WRK_COOKIES")) do
  cookies[#cookies + 1] = line
end
local counter = math.random(#cookies)

request = function()
  counter = counter % #cookies + 1
  return wrk.format("GET", nil, { Cookie = cookies[counter] })
end
