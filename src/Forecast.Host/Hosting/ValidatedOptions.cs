using Microsoft.Extensions.Options;

namespace Forecast.Host.Hosting;

/// <summary>
/// Options for verbs that run without a silo (<c>models validate</c>, <c>evaluate</c>, <c>simulate</c>):
/// bound and checked by the same validators a silo runs at start, so every verb refuses a bad value with
/// the same message.
/// </summary>
internal static class ValidatedOptions
{
    public static T Get<T>(IConfiguration configuration, string section, IValidateOptions<T> validator)
        where T : class, new() =>
        Check(validator, configuration.GetSection(section).Get<T>() ?? new T());

    public static T Check<T>(IValidateOptions<T> validator, T options)
        where T : class
    {
        var result = validator.Validate(Options.DefaultName, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(T), result.Failures) : options;
    }
}
