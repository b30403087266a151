using Forecast.Abstractions;

namespace Forecast.Host.Hosting;

/// <summary>
/// Options for verbs that run without a silo (<c>models validate</c>, <c>evaluate</c>, <c>simulate</c>):
/// bound and checked by the same validators a silo runs at start, so every verb refuses a bad value with
/// the same message.
/// </summary>
internal static class ValidatedOptions
{
    public static T Get<T>(IConfiguration configuration, string section, OptionsValidator<T> validator)
        where T : class, new() =>
        validator.Checked(configuration.GetSection(section).Get<T>() ?? new T());
}
