using System.Diagnostics;

namespace Forecast.Host.Tests;

/// <summary>
/// The checks the deployment files can have on a machine without Docker or helm: Debian's yamllint
/// on the chart values, compose files and Grafana provisioning, and the chart's values against
/// <c>values.schema.json</c> (python3-jsonschema).
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Root = FindRoot();

    internal static string RepositoryRoot => Root;

    [Fact]
    public async Task YamlFiles_PassYamllint()
    {
        var (exitCode, output) = await RunAsync("yamllint", "-f", "parsable",
            "helm/forecast/values.yaml", "helm/forecast/Chart.yaml", "docker-compose.yml", "docker-compose.gpu.yml", "deploy/grafana/provisioning");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task ChartValues_MatchTheirSchema()
    {
        var (exitCode, output) = await ValidateAsync(Path.Combine(Root, "helm/forecast/values.yaml"));

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task ChartSchema_RefusesBadValues()
    {
        var bad = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.yaml");
        var values = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/values.yaml"));
        await File.WriteAllTextAsync(bad, values.Replace("  replicas: 2", "  replicas: two").Replace("version: V2", "version: V9"));

        var (exitCode, output) = await ValidateAsync(bad);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("two", output);
    }

    [Fact]
    public async Task Chart_ModelKeys_AreMountedWhereApiKeyFileSaysTheyAre()
    {
        var helpers = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/templates/_helpers.tpl"));
        var silos = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/templates/silos.yaml"));
        var values = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/values.yaml"));

        Assert.Contains("- name: Api__KeyFile\n  value: /etc/forecast/api/keys", helpers, StringComparison.Ordinal);
        Assert.Contains("- { name: api-keys, mountPath: /etc/forecast/api, readOnly: true }", silos, StringComparison.Ordinal);
        Assert.Contains("items: [{ key: keys, path: keys }]", silos, StringComparison.Ordinal);

        var bad = Path.Combine(Path.GetTempPath(), $"values-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(bad, values.Replace("  apiKeysSecret: \"\"", "  apiKeysSecret: Not_A_Secret_Name"));
        var (exitCode, output) = await ValidateAsync(bad);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Not_A_Secret_Name", output);
    }

    [Fact]
    public async Task Chart_WithKubernetesHosting_GivesThePodEverythingTheSiloChecksFor()
    {
        var helpers = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/templates/_helpers.tpl"));
        var silos = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/templates/silos.yaml"));
        var rbac = await File.ReadAllTextAsync(Path.Combine(Root, "helm/forecast/templates/rbac.yaml"));

        var hosting = helpers[helpers.IndexOf("if .Values.orleans.kubernetesHosting", StringComparison.Ordinal)..];
        Assert.All(Hosting.SiloExtensions.KubernetesEnvironment, name => Assert.Contains($"- name: {name}\n", hosting, StringComparison.Ordinal));
        Assert.Contains("- name: Orleans__Kubernetes\n  value: \"true\"", hosting, StringComparison.Ordinal);

        // The labels the two id variables are read from are on the pod template, and the pod may watch and delete pods.
        Assert.Contains("orleans/serviceId:", helpers, StringComparison.Ordinal);
        Assert.Contains("orleans/clusterId:", helpers, StringComparison.Ordinal);
        Assert.Contains("include \"forecast.orleansLabels\"", silos, StringComparison.Ordinal);
        Assert.Contains("serviceAccountName: {{ $.Release.Name }}-silo", silos, StringComparison.Ordinal);
        Assert.Contains("verbs: [\"get\", \"list\", \"watch\", \"delete\", \"patch\"]", rbac, StringComparison.Ordinal);
    }

    private static Task<(int, string)> ValidateAsync(string values) => RunAsync(
        "/usr/bin/python3", "-c",
        "import json, sys, yaml, jsonschema\n" +
        "schema = json.load(open(sys.argv[1]))\n" +
        "errors = list(jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(sys.argv[2]))))\n" +
        "[print(f'{list(e.path)}: {e.message}') for e in errors]\n" +
        "sys.exit(1 if errors else 0)",
        Path.Combine(Root, "helm/forecast/values.schema.json"), values);

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"{file} could not start; tests/run.sh installs yamllint, python3-yaml and python3-jsonschema.");
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    private static string FindRoot() => RepositoryFiles.Find();
}
