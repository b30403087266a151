using System.Text;

namespace Forecast.Sinks.InfluxDb.Tests;

public sealed class LineProtocolFormatterTests
{
    private static string Format(SinkBatch batch, string steps = "1,last", bool readings = true)
    {
        var formatter = LineProtocolFormatter.From(new InfluxDbSinkOptions { StepsToWrite = steps, WriteReadings = readings });
        var buffer = new LineBuffer(64);
        try
        {
            var lines = formatter.Format(batch, buffer);
            var text = Encoding.UTF8.GetString(buffer.Span);
            Assert.Equal(lines, text.Count(c => c == '\n'));
            Assert.Equal(formatter.CountLines(batch), lines);
            return text;
        }
        finally
        {
            buffer.Release();
        }
    }

    [Fact]
    public void Format_WritesSchemaWithSortedTagsAndNanosecondTimes()
    {
        var time = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        var prediction = new Prediction("s-1", "lstm@1", time, [
            new ForecastStep(1, time, 1.5, 1, 2),
            new ForecastStep(2, time.AddSeconds(1), 2.5, 2, 3),
            new ForecastStep(3, time.AddSeconds(2), 3.5, 3, 4),
        ]);
        var anomaly = new Anomaly("s-1", time, 9, 1.5, 1, 2, 6.25, AnomalySeverity.Critical, "lstm@1", time);
        var reading = new SensorReading("s-1", time, 9);

        var text = Format(new SinkBatch([reading], [prediction], [anomaly]));

        Assert.Equal(
            "prediction,model=lstm@1,sensor=s-1,step=1 yhat=1.5,lower=1,upper=2 1709294400123456700\n"
            + "prediction,model=lstm@1,sensor=s-1,step=3 yhat=3.5,lower=3,upper=4 1709294402123456700\n"
            + "anomaly,model=lstm@1,sensor=s-1,severity=critical value=9,expected=1.5,score=6.25,lower=1,upper=2 1709294400123456700\n"
            + "reading,sensor=s-1 value=9 1709294400123456700\n",
            text);
    }

    [Fact]
    public void Format_EscapesCommasSpacesAndEqualsInTags()
    {
        var time = DateTimeOffset.UnixEpoch;
        var prediction = new Prediction("a b,c=d", "my model=v,1 é", time, [new ForecastStep(1, time, 1, 0, 2)]);

        var text = Format(new SinkBatch([], [prediction], []));

        Assert.Equal("prediction,model=my\\ model\\=v\\,1\\ é,sensor=a\\ b\\,c\\=d,step=1 yhat=1,lower=0,upper=2 0\n", text);
    }

    [Theory]
    [InlineData("1,last", "1,6")]
    [InlineData("2,4", "2,4")]
    [InlineData("all", "1,2,3,4,5,6")]
    [InlineData("last", "6")]
    public void Format_WritesTheConfiguredSteps(string setting, string expected)
    {
        var text = Format(new SinkBatch([], [TestData.Prediction("s", 0)], []), setting);

        var steps = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0].Split("step=")[1]);
        Assert.Equal(expected, string.Join(',', steps));
    }

    [Fact]
    public void Format_WritesDoublesThatRoundTrip()
    {
        var time = DateTimeOffset.UnixEpoch;
        var prediction = new Prediction("s", "m", time, [new ForecastStep(1, time, 0.1 + 0.2, -1e-7, 1e20)]);

        var text = Format(new SinkBatch([], [prediction], []));

        Assert.Contains("yhat=0.30000000000000004,lower=-1E-07,upper=1E+20 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_RefusesNonFiniteValuesWithTheirCountAndWritesNothing()
    {
        var time = DateTimeOffset.UnixEpoch;
        var prediction = new Prediction("s-9", "m", time, [new ForecastStep(1, time, double.NaN, 0, double.PositiveInfinity)]);
        var reading = new SensorReading("s-9", time, double.NegativeInfinity);
        var formatter = LineProtocolFormatter.From(new InfluxDbSinkOptions());
        var buffer = new LineBuffer(64);

        var ex = Assert.Throws<InfluxDbInvalidPointException>(() => formatter.Format(new SinkBatch([reading], [prediction], []), buffer));

        Assert.Equal(3, ex.NonFiniteValues);
        Assert.Contains("3 non-finite", ex.Message, StringComparison.Ordinal);
        Assert.Contains("sensor=s-9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("yhat=NaN", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, buffer.Length);
        buffer.Release();
    }

    [Fact]
    public void Format_IgnoresValuesOfStepsThatAreNotWritten()
    {
        var time = DateTimeOffset.UnixEpoch;
        var prediction = new Prediction("s", "m", time, [
            new ForecastStep(1, time, 1, 0, 2),
            new ForecastStep(2, time, double.NaN, 0, 2),
            new ForecastStep(3, time, 3, 2, 4),
        ]);

        var text = Format(new SinkBatch([], [prediction], []));

        Assert.DoesNotContain("NaN", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two\nlines")]
    [InlineData("ends-with\\")]
    public void Format_RefusesTagsLineProtocolCannotCarry(string model)
    {
        var time = DateTimeOffset.UnixEpoch;
        var prediction = new Prediction("s", model, time, [new ForecastStep(1, time, 1, 0, 2)]);
        var formatter = LineProtocolFormatter.From(new InfluxDbSinkOptions());
        var buffer = new LineBuffer(64);

        var ex = Assert.Throws<InfluxDbInvalidPointException>(() => formatter.Format(new SinkBatch([], [prediction], []), buffer));

        Assert.Equal(0, ex.NonFiniteValues);
        Assert.Contains("tag model", ex.Message, StringComparison.Ordinal);
        buffer.Release();
    }

    [Fact]
    public void Format_SkipsReadingsWhenTheMirrorIsOff()
    {
        var text = Format(TestData.Batch("s", 0, 2), readings: false);

        Assert.DoesNotContain("reading,", text, StringComparison.Ordinal);
        Assert.Equal(4, text.Count(c => c == '\n'));
    }
}
