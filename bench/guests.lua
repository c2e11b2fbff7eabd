-- Every guest opens the link: each request carries the next guest's cookie
-- (the signed cookie a browser keeps after replying), in turn, from
-- WRK_COOKIES (one "name=value" per line, written by bench/run.py).
local cookies = {}
for line in io.lines(os.getenv("WRK_COOKIES")) do
  cookies[#cookies + 1] = line
end
local counter = 0

-- Each of wrk's threads starts at a different guest.
local threads = 0
function setup(thread)
  thread:set("first", threads * 7)
  threads = threads + 1
end

function init(args)
  counter = (first or 0) % #cookies
end

request = function()
  counter = counter % #cookies + 1
  return wrk.format("GET", nil, { Cookie = cookies[counter] })
end
