namespace Forecast.Testing;

/// <summary>Files of this repository (models, deployment files), found from the test binaries.</summary>
public static class RepositoryFiles
{
    /// <summary>The path of <paramref name="parts"/> under the folder holding <c>Forecast.sln</c>, walking up from the test's binaries.</summary>
    public static string Find(params string[] parts)
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Forecast.sln")))
            {
                return Path.Combine([folder.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException($"No Forecast.sln above {AppContext.BaseDirectory}.");
    }
}
