namespace Forecast.Abstractions;

/// <summary>
/// Tells a full disk (or a spent quota) apart from other IO errors, so the stores that write to disk can say
/// so plainly instead of passing on an errno.
/// </summary>
public static class DiskFull
{
    /// <summary>True when <paramref name="exception"/> or one it wraps is a write refused for want of space.</summary>
    public static bool Is(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            // .NET keeps the raw errno as HResult on Unix (ENOSPC 28, EDQUOT 122 on Linux, 69 on macOS), and
            // ERROR_HANDLE_DISK_FULL (39) or ERROR_DISK_FULL (112) under 0x8007 on Windows.
            if (exception is IOException io && (OperatingSystem.IsWindows()
                ? (io.HResult & 0xFFFF) is 39 or 112
                : io.HResult is 28 || io.HResult == (OperatingSystem.IsMacOS() ? 69 : 122)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The error to throw for a full disk: names <paramref name="what"/> and its <paramref name="folder"/>, wrapping <paramref name="exception"/>.</summary>
    public static IOException Named(string what, string folder, Exception exception) =>
        new($"The disk is full: no space left for {what} in {folder}.", exception);
}
