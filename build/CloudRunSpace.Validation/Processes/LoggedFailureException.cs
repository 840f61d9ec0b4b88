namespace CloudRunSpace.Validation.Processes;

/// <summary>
/// A failure that names the log file to read: a stage or check that went wrong, a process that did not start or
/// answer. The one exception type of the toolkit's runners and checks; <see cref="LogFile"/> is empty when no log
/// tells more than the message.
/// </summary>
public class LoggedFailureException : Exception
{
    /// <summary>A failure with the log that shows what happened.</summary>
    /// <param name="message">What was expected, and what happened instead.</param>
    /// <param name="logFile">The log to read, or empty.</param>
    public LoggedFailureException(string message, string logFile = "")
        : base(message) => LogFile = logFile;

    /// <summary>The log that shows the failure, or empty.</summary>
    public string LogFile { get; }
}

/// <summary>A service could not listen: another process took its port between the choice and the bind.</summary>
public sealed class PortTakenException : LoggedFailureException
{
    /// <summary>The service's port was taken.</summary>
    /// <param name="message">Which service and port.</param>
    /// <param name="logFile">The service's log.</param>
    public PortTakenException(string message, string logFile)
        : base(message, logFile)
    {
    }
}
