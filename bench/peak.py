"""The peak memory of the process calling it, for the sides to report about themselves.

`ru_maxrss` (getrusage, wait4) will not do: Linux carries it over `execve` from the process that
was there before, so a child of a large parent reports at least the parent's peak. `VmHWM` in
/proc/self/status is the high-water mark of this program's own memory. The reference's driver
runs this function's source in its own interpreter, so it has no imports beyond the standard
library's.
"""


def peak_mb():
    """Peak resident memory of this process in MB (VmHWM), or None where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
