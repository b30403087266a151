using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Forecast.Abstractions;

/// <summary>One way for every project to register its options: configured by the caller, checked by its validator when the host starts.</summary>
public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TOptions"/>, configured by <paramref name="configure"/> (a binding to a
    /// configuration section, or values set in code), checked by <typeparamref name="TValidator"/> when the
    /// host starts, so a composition in a test fails the same way production does.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(
        this IServiceCollection services, Action<OptionsBuilder<TOptions>>? configure = null)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        var options = services.AddOptions<TOptions>();
        configure?.Invoke(options);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return options.ValidateOnStart();
    }
}
