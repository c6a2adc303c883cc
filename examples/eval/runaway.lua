-- A hook that would hang a Ganeti node: it loops and swallows every error it sees.
while true do
  pcall(function()
    while true do end
  end)
end
