-- Argo CD health check for Stork's ClusterPair (stork.libopenstorage.org).
-- It follows Stork's own ValidateClusterPair:
--   Healthy      schedulerStatus Ready and storageStatus Ready or NotProvided
--   Degraded     either side Error (or Degraded)
--   Progressing  anything else, including before Stork writes any status
-- Stork's status has no message field; the reason for an Error is in the
-- ClusterPair's Warning events. A status.message, if present, is shown.
-- Only the base library is used, so the script works with and without
-- resource.customizations.useOpenLibs.
local hs = {}
local scheduler = ""
local storage = ""
local message = ""
if type(obj.status) == "table" then
  if type(obj.status.schedulerStatus) == "string" then
    scheduler = obj.status.schedulerStatus
  end
  if type(obj.status.storageStatus) == "string" then
    storage = obj.status.storageStatus
  end
  if type(obj.status.message) == "string" then
    message = obj.status.message
  end
end

local function show(value)
  if value == "" then
    return "(none)"
  end
  return value
end
local sides = "scheduler " .. show(scheduler) .. ", storage " .. show(storage)

if scheduler == "Error" or storage == "Error" or scheduler == "Degraded" or storage == "Degraded" then
  hs.status = "Degraded"
  if message ~= "" then
    hs.message = "Pairing failed (" .. sides .. "): " .. message
  else
    hs.message = "Pairing failed (" .. sides .. "); Stork gives the reason in the ClusterPair's Warning events (kubectl describe clusterpair)"
  end
  return hs
end

if scheduler == "Ready" and (storage == "Ready" or storage == "NotProvided") then
  hs.status = "Healthy"
  hs.message = "Paired (" .. sides .. ")"
  return hs
end

hs.status = "Progressing"
if scheduler == "" and storage == "" then
  hs.message = "Waiting for Stork to pair the clusters; if this lasts, Stork could not build a client from spec.config (see the Stork log)"
else
  hs.message = "Pairing in progress (" .. sides .. ")"
end
return hs
