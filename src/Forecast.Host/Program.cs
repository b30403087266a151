using Forecast.Host.Verbs;

// forecast run | simulate | models validate | evaluate: see Verbs/ForecastCommandLine.cs,
// and Hosting/ for how a silo is composed.
return await ForecastCommandLine.InvokeAsync(args, Console.Out, Console.Error);
