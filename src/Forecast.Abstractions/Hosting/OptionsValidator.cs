
namespace Forecast.Abstractions;

/// <summary>
/// An <see cref="IValidateOptions{TOptions}"/> that lists what is wrong, one message per problem, each
/// naming the setting and how to fix it; the options pass when the list is empty.
/// </summary>
public abstract class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// <paramref name="options"/> when they pass; otherwise an <see cref="OptionsValidationException"/> with
    /// every message, the same one a silo throws at start. For code that binds options without a host.
    /// </summary>
    public TOptions Checked(TOptions options)
    {
        var result = Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures) : options;
    }

    /// <summary>What is wrong with <paramref name="options"/>, one message per problem.</summary>
    protected abstract IEnumerable<string> Failures(TOptions options);
}
