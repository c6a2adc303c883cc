local nic = { MAC = "aa:00:00:12:34:56" }

-- Typo: the field is MAC, not mac.
return nic.mac:upper()
