# Can this machine run the labs? Each failing check says how to fix it.
sudo bpfhol doctor
